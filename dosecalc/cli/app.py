"""The Typer application, its global options and the plain-output rule."""

import contextlib
import errno
import os
import signal
import sys
import threading
from contextvars import ContextVar
from typing import Annotated, NoReturn

import typer
import typer.core

from .._version import __version__
from ..units import pint_without_dask

# the command line never wraps dask arrays in quantities: pint need not import dask (~90 ms)
pint_without_dask()

# the click typer runs on: its own copy from typer 0.28, click itself before
_click = getattr(typer.core, "_click", None) or __import__("click")

#: The name of the command running with --json, else None.
JSON_COMMAND: ContextVar[str | None] = ContextVar("dosecalc_json_command", default=None)


@contextlib.contextmanager
def terminable():
    """SIGTERM (kill, a batch system's time limit) as an exit, as Ctrl-C is: the temporary files are removed."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread handles signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def plain_stdout() -> bool:
    # no colour or box drawing off a terminal or under NO_COLOR (no-color.org); a closed stdout is None
    return bool(os.environ.get("NO_COLOR")) or sys.stdout is None or not sys.stdout.isatty()


# --- stdout that cannot be written ----------------------------------------------


class StdoutError(OSError):
    """A write to stdout that failed: stdout closed, on a full disk, or a pipe whose reader has gone."""


@contextlib.contextmanager
def _as_stdout_error():
    try:
        yield
    except StdoutError:
        raise
    except OSError as err:
        raise StdoutError(err.errno, err.strerror) from err


class _GuardedStdout:
    """The program's stdout, whose failed writes raise :class:`StdoutError`: told apart from a file's
    failure, they are said as stdout's whichever command wrote."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        with _as_stdout_error():
            return self._stream.write(text)

    def flush(self):
        with _as_stdout_error():
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _ClosedStdout:
    """The stdout of a program started with it closed (``>&-``, where Python's sys.stdout is None): text
    and bytes alike are refused when written, not before, as a closed descriptor refuses them; a run
    writing to files writes them, and only what it prints is lost, and said."""

    encoding = "utf-8"
    errors = "strict"
    closed = False

    @property
    def buffer(self):
        return self

    def write(self, data):
        raise StdoutError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self):
        pass  # nothing is ever held

    def isatty(self):
        return False

    def fileno(self):
        raise StdoutError(errno.EBADF, os.strerror(errno.EBADF))


def _descriptor_open(descriptor: int) -> bool:
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _guarded_stdout():
    """sys.stdout as :class:`_GuardedStdout` (over :class:`_ClosedStdout` for a closed one) while the program runs."""
    original = sys.stdout
    if original is None and not _descriptor_open(1):
        # descriptor 1 held by /dev/null: a file opened during the run is never given it, where a child
        # process (a Dask worker) would write what it prints
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != 1:
            os.dup2(devnull, 1)
            os.close(devnull)
    sys.stdout = _GuardedStdout(_ClosedStdout() if original is None else original)
    try:
        yield
    finally:
        sys.stdout = original


@contextlib.contextmanager
def _flushed_stdout():
    # the last of a command's output, whatever its exit code, while a failure can still be said
    try:
        yield
    finally:
        if sys.stdout is not None:
            sys.stdout.flush()


@contextlib.contextmanager
def _stdout_refused():
    """A failed write to stdout as one line on stderr and exit code 2 (not click's quiet exit 1 on a broken
    pipe, nor a traceback); stdout then points at /dev/null, so that what it still holds is dropped at the
    exit instead of failing again there ("Exception ignored ... BrokenPipeError")."""
    try:
        yield
    except StdoutError as err:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.__stdout__.fileno())
            os.close(devnull)
        from .inputs import print_error

        print_error(f"stdout: cannot be written ({os.strerror(err.errno) if err.errno else err})")
        raise typer.Exit(code=2) from None


class _OnceCommand(typer.core.TyperCommand):
    """A command whose single-valued options may be given once: ``--bsa 1.9 --bsa 2.5``
    is refused, not read as its last value."""

    def parse_args(self, ctx, args):
        with _in_context(ctx):
            return self._parse_once(ctx, args)

    def _parse_once(self, ctx, args):
        once = {
            name: param
            for param in self.params
            if isinstance(param, typer.core.TyperOption)
            and not param.multiple
            and not param.count
            and not param.is_flag
            for name in (*param.opts, *param.secondary_opts)
        }
        seen: dict[str, str] = {}
        for arg in args:
            if arg == "--":
                break
            # --bsa=1.9, --bsa 1.9; and a short option with its value attached: -ob.csv
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
            param = once.get(name)
            if param is None:
                continue
            if param.name in seen:
                raise typer.BadParameter(
                    f"given twice ({seen[param.name]} ... {name} ...): give it once", ctx=ctx, param=param
                )
            seen[param.name] = name
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        # the command's name while it runs with --json: its errors are then JSON on stdout too
        # "dose", "protocol show": the command path without the program's name
        name = " ".join(ctx.command_path.split()[1:]) or ctx.info_name
        token = JSON_COMMAND.set(name if ctx.params.get("as_json") else None)
        try:
            return super().invoke(ctx)
        finally:
            JSON_COMMAND.reset(token)


@contextlib.contextmanager
def _in_context(ctx):
    # a usage error raised while parsing without a context ("Option '--height' requires an
    # argument") is given the command's, whose help the line then names
    try:
        yield
    except _click.exceptions.UsageError as err:
        if err.ctx is None:
            err.ctx = ctx
        raise


def _json_asked(args) -> bool:
    """Whether ``--json`` is on the command line (before a ``--``, after which all is an argument)."""
    args = list(args)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


class _UsageGroup(typer.core.TyperGroup):
    """The program's group: a usage error (an unknown option or command, a missing option, a
    value of the wrong type) is one line on stderr, ``error: <click's message> (see dosecalc bsa
    --help)``, exit code 2, and with ``--json`` on the command line the JSON error on stdout too;
    a group called without arguments still shows its help."""

    def make_context(self, info_name, args, parent=None, **extra):
        asked = _json_asked(args)
        # parsing prints too: --help, --version, a usage error's JSON
        with _stdout_refused():
            try:
                context = super().make_context(info_name, args, parent=parent, **extra)
            except _click.exceptions.UsageError as err:
                if _shows_help(err):
                    raise
                _refuse_usage(err, asked, self, info_name)
        context.meta["dosecalc_json_asked"] = asked
        return context

    def parse_args(self, ctx, args):
        with _in_context(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx):
        with _stdout_refused(), _flushed_stdout():
            try:
                return super().invoke(ctx)
            except _click.exceptions.UsageError as err:
                if _shows_help(err):
                    raise
                _refuse_usage(err, ctx.meta.get("dosecalc_json_asked", False), self, ctx.info_name)


def _shows_help(err):
    # a group called without arguments: its help, shown as click shows it (click 8.2 on)
    return isinstance(err, getattr(_click.exceptions, "NoArgsIsHelpError", ()))


def _refuse_usage(err, asked: bool, group, info_name) -> NoReturn:
    from ..errors import UsageError
    from .inputs import print_error
    from .output import print_json

    path = err.ctx.command_path if err.ctx is not None else info_name or group.name
    param = getattr(err, "param", None)
    field = getattr(err, "option_name", None) or (
        None
        if param is None
        else param.human_readable_name
        if isinstance(param, typer.core.TyperArgument)
        else param.opts[0]
    )
    error = UsageError(f"{err.format_message()} (see {path} --help)", field)
    if asked:
        # "dose", "protocol show": the command without the program's name; null for the program itself
        command = " ".join(path.split()[1:]) or None
        print_json(command, **error.to_dict())  # null: schemas/error.schema.json
    print_error(str(error))
    raise typer.Exit(code=2)


class _Typer(typer.Typer):
    def command(self, *args, **kwargs):
        kwargs.setdefault("cls", _OnceCommand)
        return super().command(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        # the program as run (the dosecalc command, python -m dosecalc): a stdout that cannot be written is
        # said in one line, whichever command wrote to it
        with _guarded_stdout():
            return super().__call__(*args, **kwargs)


def command_group(**settings) -> typer.Typer:
    """A group of subcommands (``protocol list``, ``protocol show``) whose commands behave as the others:
    an option given twice is refused; with --json, an error is JSON on stdout too."""
    return _Typer(**settings)


app = _Typer(
    name="dosecalc",
    cls=_UsageGroup,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None if plain_stdout() else "rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dosecalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """
    Unit-aware oncology dosing: verify ordered doses, plan protocols, BSA, patient doses,
    mg/m² ↔ mg/kg, HED, regimens, kidney function and carboplatin; caps, rounding, bands
    and dose levels; whole cohorts; a local web page (serve).

    Values take their unit, with or without a space: "75mg/m2", "175 cm", "5 ft 9 in", "154 lb".
    Every command has --json. dosecalc is decision support: a clinician must verify every dose.

    \b
    Examples:
      dosecalc verify r-chop-21 --height 175cm --weight 70kg --ordered doxorubicin=92mg --ordered vincristine=2mg
      dosecalc plan r-chop-21 --height 175cm --weight 70kg --cycles 6
      dosecalc dose 75mg/m2 --height 175cm --weight 70kg
      dosecalc bsa --height "5 ft 9 in" --weight "154 lb" --method all
      dosecalc convert 225mg/m2 --to mg/kg
      dosecalc hed 50mg/kg --species rat
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6
      dosecalc dose 1.4mg/m2 --bsa 1.9 --max-dose 2mg
      dosecalc crcl --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc carboplatin --auc 5 --gfr 90mL/min
      dosecalc cohort patients.csv -o dosed.csv --dose 75mg/m2
    """
