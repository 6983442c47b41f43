"""The named questions: one ``.rq`` file each, with grlc-style ``#+`` decorators."""
