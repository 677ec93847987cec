{ y.z = true; }
