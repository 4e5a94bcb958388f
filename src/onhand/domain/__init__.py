"""Pure rules of the inventory: values and functions, no I/O (standard library and errors only)."""
