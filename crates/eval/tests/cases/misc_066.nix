[ (null == false) ({} == []) ]
