"""Loopback stand-ins that speak each client library's real wire protocol, for the tests."""
