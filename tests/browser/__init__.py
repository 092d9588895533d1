"""Browser tests: a package, so that their browser and server close when they are done."""
