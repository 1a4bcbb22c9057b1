//! Small DOM helpers: creating elements, text, classes, events, and awaiting timers and animation frames.

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// The browser's localStorage, where it allows one.
pub fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn document() -> Document {
    window().document().expect("a document")
}

/// `<tag class="class">` appended to `parent`.
pub fn el(parent: &Element, tag: &str, class: &str) -> Element {
    let e = document().create_element(tag).expect("create element");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    parent.append_child(&e).expect("append");
    e
}

/// `<tag class="class">text</tag>` appended to `parent`.
pub fn text(parent: &Element, tag: &str, class: &str, content: &str) -> Element {
    let e = el(parent, tag, class);
    e.set_text_content(Some(content));
    e
}

/// Names `control` by the element `name` and describes it by `help` (both beside it in its row), so a screen reader
/// says the name, then the help after a pause, rather than both run together as one long name.
pub fn name_and_describe(control: &Element, name: &Element, help: Option<&Element>) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    name.set_id(&format!("control-{id}-name"));
    control
        .set_attribute("aria-labelledby", &name.id())
        .expect("aria-labelledby");
    if let Some(help) = help {
        help.set_id(&format!("control-{id}-help"));
        control
            .set_attribute("aria-describedby", &help.id())
            .expect("aria-describedby");
    }
}

pub fn cast<T: JsCast>(e: &Element) -> T {
    e.clone().dyn_into::<T>().expect("element of the expected type")
}

pub fn set_hidden(e: &Element, hidden: bool) {
    cast::<HtmlElement>(e).set_hidden(hidden);
}

/// Adds an event listener that lives as long as the page.
pub fn on<E: JsCast + 'static>(target: &web_sys::EventTarget, event: &str, handler: impl FnMut(E) + 'static) {
    let mut handler = handler;
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| handler(e.unchecked_into::<E>()));
    target
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .expect("listener");
    closure.forget();
}

/// Resolves after `ms` milliseconds (lets the browser breathe without busy-waiting).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn now_ms() -> f64 {
    window()
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Resolves at the browser's next animation frame.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
