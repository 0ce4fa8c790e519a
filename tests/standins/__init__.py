"""Loopback stand-ins for LLM providers' HTTP APIs, one module per provider, used by the tests."""
