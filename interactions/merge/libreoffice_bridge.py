"""The LibreOffice side of the PDF converter (pdf_converter.py): a script, never imported by the application.

It runs under the Python interpreter that has LibreOffice's `uno` module (Debian's python3-uno belongs to
/usr/bin/python3, not to the project's virtualenv), starts one headless LibreOffice listening on a private pipe,
and converts documents for as long as its parent keeps it: one JSON request per line on stdin, one JSON answer
per line on stdout. A request names files, never carries the bytes, so nothing large crosses the pipe:

    {"source": "/tmp/…/in.docx", "target": "/tmp/…/out.pdf", "destinations": false}
    -> {"ok": true}  or  {"ok": false, "error": "…"}

When stdin closes (the worker exited or gave up on us) LibreOffice is shut down with it. The parent starts this
script in a process group of its own, so a hung conversion is ended by killing the group, LibreOffice included.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

STARTUP_SECONDS = 60
# Only the Word import filter: anything that is not a .docx must fail to open, not be imported as plain text.
DOCX_FILTER = "MS Word 2007 XML"


def _props(**values):
    return tuple(PropertyValue(Name=name, Value=value) for name, value in values.items())


def _answer(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _start(soffice: str, profile_url: str):
    pipe = f"crm_pdf_{os.getpid()}"
    process = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--nocrashreport",
            "--nodefault",
            "--nologo",
            "--nofirststartwizard",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile_url}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:  # not listening yet
            if process.poll() is not None:
                raise RuntimeError(f"LibreOffice exited while starting (exit status {process.returncode})")
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"LibreOffice did not start within {STARTUP_SECONDS} s")
            time.sleep(0.05)
    _block_external_links(context)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return process, desktop


def _block_external_links(context) -> None:
    """Letters are uploaded by users: LibreOffice must not fetch what a letter links to (a picture "linked" to
    http://internal-host/… would otherwise be requested from the server while converting; docs/SECURITY.md)."""
    provider = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.configuration.ConfigurationProvider", context
    )
    settings = provider.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationUpdateAccess",
        _props(nodepath="/org.openoffice.Office.Common/Security/Scripting"),
    )
    settings.setPropertyValue("BlockUntrustedRefererLinks", True)
    settings.commitChanges()


def _convert(desktop, source: str, target: str, destinations: bool) -> None:
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source),
        "_blank",
        0,
        # No macros, no link updates (MacroExecutionMode 0: never; UpdateDocMode 0: no update).
        _props(
            Hidden=True,
            ReadOnly=True,
            FilterName=DOCX_FILTER,
            UpdateDocMode=0,
            MacroExecutionMode=0,
            RepairPackage=False,
        ),
    )
    if document is None:
        raise RuntimeError("LibreOffice could not open the letter as a Word document")
    try:
        # Bookmarks become named destinations only when asked: the batch converter finds where each letter of a
        # combined document starts through them (pdf_converter.py).
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue", _props(ExportBookmarksToPDFDestination=bool(destinations))
        )
        document.storeToURL(
            uno.systemPathToFileUrl(target), _props(FilterName="writer_pdf_Export", FilterData=filter_data)
        )
    finally:
        document.close(True)


def main() -> None:
    soffice, profile_url = sys.argv[1], sys.argv[2]
    try:
        process, desktop = _start(soffice, profile_url)
    except Exception as exc:
        _answer(ok=False, error=str(exc))
        return
    try:
        _answer(ok=True, ready=True)
        for line in sys.stdin:
            try:
                request = json.loads(line)
                _convert(desktop, request["source"], request["target"], request.get("destinations", False))
            except RuntimeError as exc:  # ours, already in words
                _answer(ok=False, error=str(exc))
            except Exception as exc:  # a UNO error's message is often empty: name its type too
                message = getattr(exc, "Message", "") or str(exc)
                _answer(ok=False, error=f"{type(exc).__name__}: {message}".rstrip(": "))
            else:
                _answer(ok=True)
    finally:
        try:
            desktop.terminate()
        except Exception:  # already gone: the bridge to it broke
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if len(sys.argv) > 3:  # the converter's working directory: gone with us even when the worker died
            shutil.rmtree(sys.argv[3], ignore_errors=True)


if __name__ == "__main__":
    main()
