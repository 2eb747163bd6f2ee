"""energyplus_single_zone backend."""
