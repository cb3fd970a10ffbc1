"""Rules for what a publisher controls, shared by the stages that meet it: the address guard, safe XML parsing."""
