#!/usr/bin/env python3
# "The browser" of the sign-in tests ($BROWSER, or the backend's `browser`
# setting): follows the address it is given, and the identity provider's
# redirect to the app's loopback, as a browser would; what it saw goes to
# $OPENER_LOG when set.
#   OPENER_MODE=replay  first calls the loopback with a stale `state`
#   OPENER_MODE=tamper  changes the PKCE challenge on the way, as an
#                       attacker in the middle would
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

url = sys.argv[1]
mode = os.environ.get("OPENER_MODE", "follow")
log_path = os.environ.get("OPENER_LOG")
log = open(log_path, "a") if log_path else open(os.devnull, "w")
query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
if mode == "replay":
    stale = query["redirect_uri"][0] + "?code=old-code&state=an-old-state"
    try:
        urllib.request.urlopen(stale)
        log.write("replay accepted\n")
    except urllib.error.HTTPError as e:
        log.write("replay refused %d\n" % e.code)
if mode == "tamper":
    url = re.sub(r"code_challenge=[^&]+", "code_challenge=" + "A" * 43, url)
try:
    page = urllib.request.urlopen(url).read().decode()
    log.write("followed: " + page + "\n")
except Exception as e:  # noqa: BLE001 - whatever happened is the test's to read
    log.write("failed: %s\n" % e)
