"""One router per audience, assembled in :mod:`api.main`."""
