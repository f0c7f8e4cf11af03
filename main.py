"""The CDKTF app: one stack per environment, each built from that environment's spec."""

import warnings

# jsii's generated type checks warn about protocols they cannot check; nothing to act on.
warnings.filterwarnings("ignore", message="Typeguard cannot check")

from cdktf import App  # noqa: E402

from lvsha import environments  # noqa: E402
from ops.keys import read_public_key  # noqa: E402
from stacks.lab import LabStack  # noqa: E402
from stacks.prod import ProdStack  # noqa: E402

app = App()
prod = environments.load("prod")
ProdStack(app, "prod", spec=prod, public_key=read_public_key(prod))
LabStack(app, "lab", spec=environments.load("lab"))
app.synth()
