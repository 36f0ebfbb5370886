"""The contactless side of the kernel: the Entry Point of EMV Book B (entry_point.py) and the kernels it
activates, each a module named after its book: kernel_c3.py (Book C-3, Visa qVSDC) and kernel_c2.py (Book C-2,
Mastercard M/Chip). EmvKernel (terminal/emv/kernel.py) runs the entry point when the reader is contactless, so
the steps the sale core sees are the same: Command, PinPrompt, OnlineRequest, Finished."""
