(x: { inherit x; }) 1
