// Tokens, resets and the shared controls first: every feature's own stylesheet (imported by
// its component, before that component's children) comes after them and may override them.
import "./styles/tokens.css";
import "./styles/base.css";
import "./ui/controls.css";
import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { createQueryClient } from "./app/queryClient";
import { TooltipProvider } from "./ui/Tooltip";

const client = createQueryClient();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <TooltipProvider delayDuration={350} skipDelayDuration={150}>
        <App />
      </TooltipProvider>
    </QueryClientProvider>
  </StrictMode>,
);
