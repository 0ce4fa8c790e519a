"""Loopback stand-ins for client libraries whose wire protocol the demo's stand-in model does not speak."""
