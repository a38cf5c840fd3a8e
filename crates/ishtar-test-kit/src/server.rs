//! The loopback HTTP server every fake provider is built on.

use std::net::TcpListener;

use actix_web::{App, FromRequest, Handler, HttpServer, Responder, web};

/// A fake provider's HTTP server on `127.0.0.1:<port>`: we bind port 0 ourselves and keep
/// the listener (port-reusing mock libraries have produced false passes), route every
/// request to one handler, and stop the server when this is dropped.
pub struct LoopbackServer {
    port: u16,
    handle: actix_web::dev::ServerHandle,
}

impl LoopbackServer {
    /// Starts `workers` workers serving `handler` for every path and method.
    pub fn start<F, Args>(workers: usize, handler: F) -> Self
    where
        F: Handler<Args> + Send,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || App::new().default_service(web::to(handler.clone())))
            .workers(workers)
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { port, handle }
    }

    /// The port we bound on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        drop(self.handle.clone().stop(false));
    }
}

/// A loopback URL (`http://127.0.0.1:<port>`) with nothing listening: the port was bound,
/// then released, so connecting to it is refused (tests of "the provider is down").
pub fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}
