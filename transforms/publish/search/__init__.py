"""data.gov's search index: the document of each dataset, the `_bulk` files of a run or a full export, and sending them."""
