"""Open data with privacy: the service's figures per day, village, hour and rider group."""
