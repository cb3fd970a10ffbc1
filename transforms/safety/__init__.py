"""Rules for what a publisher controls, shared by the places that meet it: the address guard, one URI per URL, safe XML parsing."""
