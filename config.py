"""pyinfra's configuration for deploy.py: root through sudo, and no partial clusters."""

from pyinfra import config

config.SUDO = True
# One node that cannot be reached stops the deploy before any change.
config.FAIL_PERCENT = 0
