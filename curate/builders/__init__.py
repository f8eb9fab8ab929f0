"""One module or package per dataset; `curate.registry` discovers them, no central list to edit."""
