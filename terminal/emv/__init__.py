"""The terminal side of EMV (Books 1-4): BER-TLV, the tag dictionary, DOLs, CA keys, offline data authentication
and the kernel flow, as a sans-I/O core: the kernel takes card responses and returns the next command.

Entry points: `terminal.emv.kernel.EmvKernel` (sans-I/O) and `terminal.emv.runner.KernelRunner` (drives a kernel
over a `drivers.card_channel.CardChannel`). Not EMVCo Level 2 approved: see docs/emv.md.
"""
