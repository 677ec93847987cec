builtins.toXML "<a href=\"x\">&amp; 'q'
next\ttab\r</a>"
