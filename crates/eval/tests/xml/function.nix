{ pkgs ? null, lib, ... }@inputs: lib
