"""Saves a document with a password through LibreOffice's UNO API, as a user would with
File > Save As > Save with password. The command-line converter cannot set a password.

usage: /usr/bin/python3 office-encrypt.py SOURCE TARGET FILTER PASSWORD PROFILE_DIR
FILTER is LibreOffice's filter name: writer8, calc8, "MS Word 97", "MS Excel 97",
"MS Word 2007 XML", "Calc MS Excel 2007 XML". An empty PASSWORD instead protects a
spreadsheet's structure (Tools > Protect Spreadsheet Structure), which opens for anyone.
"""
import subprocess
import sys
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


source, target, filter_name, password, profile = sys.argv[1:6]
pipe = f"dlp{uuid.uuid4().hex}"
office = subprocess.Popen([
    "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
    "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;",
])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for attempt in range(300):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.1)
    else:
        raise SystemExit("LibreOffice did not start")
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
    if password:
        document.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", filter_name), prop("Password", password)))
    else:
        document.protect("")
        document.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", filter_name),))
    document.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
