"""Publishing the service to trip planners (GTFS with the GTFS-Flex extension)."""
