"""pyinfra's configuration for deploy.py: root through sudo, and no partial clusters."""

SUDO = True
# One node that cannot be reached stops the deploy before any change.
FAIL_PERCENT = 0
