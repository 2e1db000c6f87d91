package io.atrium.web.ui;

import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.auth.AnonymousAllowed;

@Route("hello")
@AnonymousAllowed
public class HelloView extends VerticalLayout {
    public HelloView() { add(new H1("Atrium")); }
}
