"""The library face: :class:`onhand.Inventory`, in one part per feature."""
