"""The customer portal's pages: what a customer sees and does through the link in a reminder, with
no sign-in (docs/portal.md). The principal is the link's customer, never a staff user: no staff
session is read or written here, and this package imports nothing of the web workspace.

`install(app, arrears)` (app.py) adds the pages under /portal/TOKEN and their stylesheet under
/portal-static; `arrears serve` installs them beside the web workspace and the API.
"""
