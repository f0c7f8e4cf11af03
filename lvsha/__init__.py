"""lvsha: one typed spec per environment -> an HA LVS-DR cluster (pure logic, no I/O)."""
