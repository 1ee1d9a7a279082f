"""The statements resource."""
