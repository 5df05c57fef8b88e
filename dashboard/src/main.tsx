import { render } from "preact";
import { Header } from "./components/Header";
import { Notices } from "./components/Notices";
import { StoreBanner } from "./components/StoreBanner";
import { TokenDialog } from "./components/TokenDialog";
import { useRoute } from "./hooks";
import { live } from "./live";
import "./styles.css";
import { DaemonView } from "./views/Daemon";
import { DaemonsView } from "./views/Daemons";
import { EventsView } from "./views/Events";
import { GraphView } from "./views/Graph";
import { JobsView } from "./views/Jobs";
import { NodesView } from "./views/Nodes";

function App() {
  const route = useRoute();
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} />
      <StoreBanner />
      <main id="main" tabIndex={-1}>
        {route.page === "daemons" ? <DaemonsView /> : null}
        {route.page === "graph" ? <GraphView /> : null}
        {route.page === "jobs" ? <JobsView /> : null}
        {route.page === "events" ? <EventsView /> : null}
        {route.page === "nodes" ? <NodesView /> : null}
        {route.page === "daemon" ? <DaemonView key={route.name} name={route.name} /> : null}
      </main>
      <Notices />
      <TokenDialog />
    </>
  );
}

live.start();
render(<App />, document.getElementById("app") as HTMLElement);
