"""The CDKTF app: one stack per environment, each built from that environment's spec on the
platform it names."""

import warnings

# jsii's generated type checks warn about protocols they cannot check; nothing to act on.
warnings.filterwarnings("ignore", message="Typeguard cannot check")

from cdktf import App  # noqa: E402

from lvsha import environments  # noqa: E402
from lvsha.spec import Platform  # noqa: E402
from ops.keys import read_public_key  # noqa: E402
from stacks.lab import LabStack  # noqa: E402
from stacks.prod import ProdStack  # noqa: E402

app = App()
for name in environments.NAMES:
    spec = environments.load(name)
    if spec.platform is Platform.LAB:
        LabStack(app, name, spec=spec)
    else:
        ProdStack(app, name, spec=spec, public_key=read_public_key(spec))
app.synth()
