"""Design-based survey statistics and SPI-style integrity indices (pure pandas + scipy)."""
