"""Great Expectations suites, as JSON data, shipped with the package so every job finds them."""
