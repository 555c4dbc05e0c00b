from tests.sim.conftest import cached, osm_cache, real_network, real_osm, small_day

__all__ = ["cached", "osm_cache", "real_network", "real_osm", "small_day"]
