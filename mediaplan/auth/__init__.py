"""Who may do what: passwords (argon2id), the role table, the signed session cookie and its CSRF token.

The web app asks one question of this package per request — which user is this, and may they do this? —
through `web.security`. Account operations (add, passwd, disable, login, reset) are `services.users`.
"""
