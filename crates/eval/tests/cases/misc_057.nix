{ __functor = self: x: x; } 1
