"""HTTP: auth, transport and the page cursor. Never imports polars or pandas."""
