"""What planners look at: unmet demand on a hexagon grid, next to residents' proposals."""
