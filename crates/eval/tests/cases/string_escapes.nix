"a\"b\\c\nd\te\rf"
