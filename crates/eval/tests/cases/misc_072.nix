builtins.elem null [ null ]
