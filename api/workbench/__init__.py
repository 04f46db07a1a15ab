"""The participants' workbench: server-rendered screens for the people of each participant
(farmers, lab technicians, regulators, the market authority), signed in with a password (and
optionally a TOTP code) instead of an API key.

- :mod:`api.workbench.session`: who is signed in (cookie, expiry, suspension), CSRF, role gates;
- :mod:`api.workbench.submit`: a form's write through the durable queue, with its person;
- :mod:`api.workbench.render`: pages in English, Korean or simplified Chinese;
- the routes: :mod:`api.routes.workbench` and ``workbench_*`` (one module per role).
"""
