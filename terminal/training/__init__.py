"""Training mode: the terminal as it really works, against a host that is not real.

`posterm run --training`, `posterm sale --training` and the guided drills (`posterm training`) run the real
sale core, keypad and journal code against the built-in host simulator on a loopback port of this machine,
with the books kept in a separate training journal (DATA_DIR/training/). The configured host is never
contacted: the configuration the command runs on has the simulator's address in place of every configured
address (backups included), so no code path has the real address to connect to. Every screen and slip says
TRAINING (培训), and every JSON result carries "training": true, so a training slip is never taken for a
payment. Layer: above the sale (txn) and the simulator (hostsim), below the CLI.
"""
