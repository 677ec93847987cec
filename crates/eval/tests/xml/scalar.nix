"just a string with <xml> & \"quotes\""
