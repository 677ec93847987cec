let
  cfg = builtins.fromTOML ''
    [server]
    host = "0.0.0.0"
    ports = [ 80, 443 ]

    [[server.routes]]
    path = "/"
    backend = "web"

    [[server.routes]]
    path = "/api"
    backend = "api"
  '';
in {
  inherit (cfg.server) host;
  nports = builtins.length cfg.server.ports;
  backends = map (r: r.backend) cfg.server.routes;
}
