builtins.functionArgs ({ a ? 1, b }: 1)
